package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// receiver is an OTLP/HTTP receiver (http/protobuf): it decodes every
// export request with the OTLP protobuf types and keeps it, in the order
// of arrival, as a collector would see it.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	traces  []*coltracepb.ExportTraceServiceRequest
	metrics []*colmetricspb.ExportMetricsServiceRequest
	errs    []error
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		m := &coltracepb.ExportTraceServiceRequest{}
		if r.decode(w, req, m) {
			r.mu.Lock()
			r.traces = append(r.traces, m)
			r.mu.Unlock()
			r.respond(w, &coltracepb.ExportTraceServiceResponse{})
		}
	})
	mux.HandleFunc("POST /v1/metrics", func(w http.ResponseWriter, req *http.Request) {
		m := &colmetricspb.ExportMetricsServiceRequest{}
		if r.decode(w, req, m) {
			r.mu.Lock()
			r.metrics = append(r.metrics, m)
			r.mu.Unlock()
			r.respond(w, &colmetricspb.ExportMetricsServiceResponse{})
		}
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// decode reads a request's protobuf body into m; on failure it answers 400
// and keeps the error for the test.
func (r *receiver) decode(w http.ResponseWriter, req *http.Request, m proto.Message) bool {
	err := func() error {
		if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			return &contentTypeError{ct}
		}
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		return proto.Unmarshal(b, m)
	}()
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func (r *receiver) respond(w http.ResponseWriter, m proto.Message) {
	b, _ := proto.Marshal(m)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// contentTypeError is a request that is not http/protobuf.
type contentTypeError struct{ got string }

func (e *contentTypeError) Error() string {
	return "content type " + e.got + ", want application/x-protobuf"
}

// received is what the receiver got, copied out.
type received struct {
	traces  []*coltracepb.ExportTraceServiceRequest
	metrics []*colmetricspb.ExportMetricsServiceRequest
	errs    []error
}

func (r *receiver) received() received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return received{traces: append([]*coltracepb.ExportTraceServiceRequest(nil), r.traces...),
		metrics: append([]*colmetricspb.ExportMetricsServiceRequest(nil), r.metrics...),
		errs:    append([]error(nil), r.errs...)}
}

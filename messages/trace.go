package messages

// TraceCarrier carries a W3C trace context (the "traceparent" and
// "tracestate" keys) with a message. It satisfies OpenTelemetry's
// propagation.TextMapCarrier, so a propagator can inject into and extract
// from it directly. A nil carrier is empty.
type TraceCarrier map[string]string

// Get returns the value stored for key, or "".
func (c TraceCarrier) Get(key string) string { return c[key] }

// Set stores value under key. It does nothing on a nil carrier.
func (c TraceCarrier) Set(key, value string) {
	if c != nil {
		c[key] = value
	}
}

// Keys lists the stored keys.
func (c TraceCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

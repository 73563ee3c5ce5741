package protopersist

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// encode returns m as the bytes of a google.protobuf.Any: its type URL
// ("type.googleapis.com/" + the message's full name) and its deterministic
// proto encoding. This is the payload of an event and the data of a
// snapshot.
func encode(m proto.Message) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrUnknownType)
	}
	var a anypb.Any
	if err := anypb.MarshalFrom(&a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, fmt.Errorf("protopersist: encode %T: %w", m, err)
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(&a)
}

// decode returns the message encoded by encode, as a new value of its
// registered Go type. It copies what it keeps of b.
func (p *Provider) decode(b []byte) (proto.Message, error) {
	var a anypb.Any
	if err := proto.Unmarshal(b, &a); err != nil || a.TypeUrl == "" {
		return nil, fmt.Errorf("%w: payload is not a proto Any (%v)", ErrForeignEvent, err)
	}
	m, err := anypb.UnmarshalNew(&a, proto.UnmarshalOptions{Resolver: p.opts.Resolver})
	switch {
	case errors.Is(err, protoregistry.NotFound):
		return nil, fmt.Errorf("%w: %s", ErrUnknownType, a.TypeUrl)
	case err != nil:
		return nil, fmt.Errorf("protopersist: decode %s: %w", a.TypeUrl, err)
	}
	return m, nil
}

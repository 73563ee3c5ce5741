package typed

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/batpak-go/batpak/messages"
)

// Registry binds Go types to event kinds. The zero value is not usable:
// make one with NewRegistry. It is safe for concurrent use; registrations
// usually happen once at start-up, before the first Encode or Decode.
type Registry struct {
	mu     sync.RWMutex
	byKind map[messages.EventKind]*binding
	byType map[reflect.Type]*binding
	byName map[string]*binding
}

// binding is one registered type.
type binding struct {
	kind    messages.EventKind
	name    string
	version uint16
	typ     reflect.Type
	up      map[uint16]Upcaster // by the version they start from
	// decode decodes a payload of kind into a new value of typ.
	decode func(r *Registry, b *binding, kind messages.EventKind, payload []byte) (any, error)
}

// Info describes a registration.
type Info struct {
	// Kind is the event kind the type is bound to.
	Kind messages.EventKind
	// Name is the kind's human name.
	Name string
	// Version is the current schema version (what Encode writes).
	Version uint16
	// Type is the bound Go type (never a pointer type).
	Type reflect.Type
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		byKind: make(map[messages.EventKind]*binding),
		byType: make(map[reflect.Type]*binding),
		byName: make(map[string]*binding),
	}
}

// Register binds the type T to kind with a human name and the current
// schema version (>= 1). T must not be a pointer or interface type (values
// of T and non-nil *T both encode as T). It refuses, with a
// *RegistrationError: a reserved kind (messages.ErrReservedKind), a kind
// already bound (ErrKindTaken), a T already bound (ErrTypeTaken, even to
// the same kind: bind once), a name already given (ErrNameTaken), and an
// empty name or version 0 (ErrInvalid). A refused registration changes
// nothing.
func Register[T any](r *Registry, kind messages.EventKind, name string, version uint16) error {
	return r.register(reflect.TypeFor[T](), kind, name, version, decodeValue[T])
}

// decodeValue decodes payload into a new T.
func decodeValue[T any](r *Registry, b *binding, kind messages.EventKind, payload []byte) (any, error) {
	var v T
	if err := r.decodeInto(b, kind, payload, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// MustRegister is Register for start-up code whose registrations are
// known to be valid; it panics on a refusal.
func MustRegister[T any](r *Registry, kind messages.EventKind, name string, version uint16) {
	if err := Register[T](r, kind, name, version); err != nil {
		panic(err)
	}
}

func (r *Registry) register(t reflect.Type, kind messages.EventKind, name string, version uint16,
	decode func(*Registry, *binding, messages.EventKind, []byte) (any, error)) error {
	refuse := func(cause error, existing string) error {
		return &RegistrationError{Kind: kind, Type: t.String(), Name: name, Existing: existing, Cause: cause}
	}
	switch {
	case kind.IsReserved():
		return refuse(messages.ErrReservedKind, fmt.Sprintf("category %#x is the store's", kind.Category()))
	case t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface:
		return refuse(ErrInvalid, "register the element type, not a pointer or interface")
	case name == "":
		return refuse(ErrInvalid, "empty name")
	case version == 0:
		return refuse(ErrInvalid, "schema versions start at 1")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.byKind[kind]; b != nil {
		return refuse(ErrKindTaken, "bound to "+b.typ.String())
	}
	if b := r.byType[t]; b != nil {
		return refuse(ErrTypeTaken, "bound to kind "+b.kind.String())
	}
	if b := r.byName[name]; b != nil {
		return refuse(ErrNameTaken, "given to kind "+b.kind.String())
	}
	b := &binding{kind: kind, name: name, version: version, typ: t, up: make(map[uint16]Upcaster), decode: decode}
	r.byKind[kind], r.byType[t], r.byName[name] = b, b, b
	return nil
}

// Name returns kind's registered name, or "" when kind is not registered.
func (r *Registry) Name(kind messages.EventKind) string {
	if b := r.kind(kind); b != nil {
		return b.name
	}
	return ""
}

// Lookup returns the registration of kind.
func (r *Registry) Lookup(kind messages.EventKind) (Info, bool) {
	b := r.kind(kind)
	if b == nil {
		return Info{}, false
	}
	return b.info(), true
}

// KindOf returns the kind v's type is bound to (v may be a T or a non-nil
// *T), or an *UnregisteredError.
func (r *Registry) KindOf(v any) (messages.EventKind, error) {
	b, err := r.typeOf(v)
	if err != nil {
		return 0, err
	}
	return b.kind, nil
}

// KindFor returns the kind T is bound to, or an *UnregisteredError.
func KindFor[T any](r *Registry) (messages.EventKind, error) {
	b := r.typ(reflect.TypeFor[T]())
	if b == nil {
		return 0, &UnregisteredError{Type: reflect.TypeFor[T]().String()}
	}
	return b.kind, nil
}

// Kinds returns the registered kinds (in no particular order), e.g. for a
// subscription filter.
func (r *Registry) Kinds() []messages.EventKind {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]messages.EventKind, 0, len(r.byKind))
	for k := range r.byKind {
		out = append(out, k)
	}
	return out
}

func (b *binding) info() Info {
	return Info{Kind: b.kind, Name: b.name, Version: b.version, Type: b.typ}
}

func (r *Registry) kind(k messages.EventKind) *binding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byKind[k]
}

func (r *Registry) typ(t reflect.Type) *binding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byType[t]
}

// typeOf finds the binding of v's type, or of its element type when v is
// a non-nil pointer.
func (r *Registry) typeOf(v any) (*binding, error) {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil, &UnregisteredError{Type: "<nil>"}
	}
	if b := r.typ(t); b != nil {
		return b, nil
	}
	if t.Kind() == reflect.Pointer && !reflect.ValueOf(v).IsNil() {
		if b := r.typ(t.Elem()); b != nil {
			return b, nil
		}
	}
	return nil, &UnregisteredError{Type: t.String()}
}

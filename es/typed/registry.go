package typed

import (
	"fmt"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/batpak-go/batpak/messages"
)

// Registry binds Go types to event kinds. The zero value is not usable:
// make one with NewRegistry. It is safe for concurrent use; registrations
// usually happen once at start-up, before the first Encode or Decode.
//
// Lookups (every Encode and Decode) read an immutable table through one
// atomic load; a registration copies the table, adds to the copy and
// publishes it, under a mutex that orders registrations.
type Registry struct {
	mu  sync.RWMutex // orders registrations; guards each binding's up
	tab atomic.Pointer[table]
}

// table is one published state of a Registry; never changed once
// published.
type table struct {
	// pages index the bindings by kind, a page per high byte: a lookup
	// is two loads (a map of 16-bit keys hashes each one).
	pages  [256]*[256]*binding
	byKind map[messages.EventKind]*binding
	byType map[reflect.Type]*binding
	byName map[string]*binding
}

// with returns a copy of t with b added.
func (t *table) with(b *binding) *table {
	n := &table{
		pages:  t.pages,
		byKind: maps.Clone(t.byKind),
		byType: maps.Clone(t.byType),
		byName: maps.Clone(t.byName),
	}
	pg := new([256]*binding)
	if old := t.pages[b.kind>>8]; old != nil {
		*pg = *old
	}
	pg[b.kind&0xff] = b
	n.pages[b.kind>>8] = pg
	n.byKind[b.kind], n.byType[b.typ], n.byName[b.name] = b, b, b
	return n
}

// kind returns the binding of k, or nil.
func (t *table) kind(k messages.EventKind) *binding {
	if pg := t.pages[k>>8]; pg != nil {
		return pg[k&0xff]
	}
	return nil
}

// binding is one registered type.
type binding struct {
	kind    messages.EventKind
	name    string
	version uint16
	typ     reflect.Type
	up      map[uint16]Upcaster // by the version they start from; guarded by Registry.mu
	// codec is typ's compiled plan, nil when typ is left to msgpack v5
	// (see compile.go).
	codec *typeCodec
	// direct is set when an interface holding a typ holds the value
	// itself rather than a pointer to it (typ is pointer-shaped).
	direct bool
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
	r := &Registry{}
	r.tab.Store(&table{
		byKind: make(map[messages.EventKind]*binding),
		byType: make(map[reflect.Type]*binding),
		byName: make(map[string]*binding),
	})
	return r
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
	return r.register(&binding{kind: kind, name: name, version: version, typ: reflect.TypeFor[T](),
		direct: pointerShaped[T](), decode: decodeValue[T]})
}

// decodeValue decodes payload into a new T, returned as a T.
func decodeValue[T any](r *Registry, b *binding, kind messages.EventKind, payload []byte) (any, error) {
	v, err := decodeNew[T](r, b, kind, payload)
	if err != nil {
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

func (r *Registry) register(b *binding) error {
	t, kind, name := b.typ, b.kind, b.name
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
	case b.version == 0:
		return refuse(ErrInvalid, "schema versions start at 1")
	}
	b.codec, _ = codecFor(t) // nil: the type is left to msgpack v5
	b.up = make(map[uint16]Upcaster)
	r.mu.Lock()
	defer r.mu.Unlock()
	tab := r.tab.Load()
	if x := tab.byKind[kind]; x != nil {
		return refuse(ErrKindTaken, "bound to "+x.typ.String())
	}
	if x := tab.byType[t]; x != nil {
		return refuse(ErrTypeTaken, "bound to kind "+x.kind.String())
	}
	if x := tab.byName[name]; x != nil {
		return refuse(ErrNameTaken, "given to kind "+x.kind.String())
	}
	r.tab.Store(tab.with(b))
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
	b, _, err := r.typeOf(v)
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
	tab := r.tab.Load()
	out := make([]messages.EventKind, 0, len(tab.byKind))
	for k := range tab.byKind {
		out = append(out, k)
	}
	return out
}

func (b *binding) info() Info {
	return Info{Kind: b.kind, Name: b.name, Version: b.version, Type: b.typ}
}

func (r *Registry) kind(k messages.EventKind) *binding { return r.tab.Load().kind(k) }

func (r *Registry) typ(t reflect.Type) *binding { return r.tab.Load().byType[t] }

// typeOf finds the binding of v's type, or of its element type when v is
// a non-nil pointer (then ptr is set).
func (r *Registry) typeOf(v any) (b *binding, ptr bool, err error) {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil, false, &UnregisteredError{Type: "<nil>"}
	}
	if b := r.typ(t); b != nil {
		return b, false, nil
	}
	if t.Kind() == reflect.Pointer && !reflect.ValueOf(v).IsNil() {
		if b := r.typ(t.Elem()); b != nil {
			return b, true, nil
		}
	}
	return nil, false, &UnregisteredError{Type: t.String()}
}

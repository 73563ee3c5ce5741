package typed_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The schema history of the fixtures' account events. testdata/v1store is
// a real store written by TestWriteV1Fixture with the version-1 types;
// the tests read it with the version-2 and version-3 types.
var (
	kindOpened    = messages.MustKind(1, 1)
	kindDeposited = messages.MustKind(1, 2)
	fixtureCoord  = messages.Coordinate{Entity: "account-7", Scope: "bank"}
)

// OpenedV1 is the account's first event; its shape never changed.
type OpenedV1 struct {
	Owner string `msgpack:"owner"`
}

// DepositedV1: the amount in whole euros, the depositor's name.
type DepositedV1 struct {
	Amount int    `msgpack:"amount"`
	Who    string `msgpack:"who"`
}

// DepositedV2: the amount in cents.
type DepositedV2 struct {
	Cents int64  `msgpack:"cents"`
	Who   string `msgpack:"who"`
}

// DepositedV3: the depositor as a nested record, and a currency.
type DepositedV3 struct {
	Cents    int64  `msgpack:"cents"`
	By       Person `msgpack:"by"`
	Currency string `msgpack:"currency"`
}

// Person is DepositedV3's depositor.
type Person struct {
	Name string `msgpack:"name"`
}

// v1Deposits are the deposits stored in testdata/v1store, in order.
var v1Deposits = []DepositedV1{{Amount: 10, Who: "ann"}, {Amount: 25, Who: "bob"}, {Amount: 7, Who: "ann"}}

// upV1toV2 turns euros into cents.
func upV1toV2(f typed.Fields) (typed.Fields, error) {
	euros, ok := f["amount"].(int64)
	if !ok {
		return nil, errNotInt
	}
	delete(f, "amount")
	f["cents"] = euros * 100
	return f, nil
}

// upV2toV3 nests the depositor and adds the currency.
func upV2toV3(f typed.Fields) (typed.Fields, error) {
	f["by"] = typed.Fields{"name": f["who"]}
	delete(f, "who")
	f["currency"] = "EUR"
	return f, nil
}

var errNotInt = testError("amount is not an integer")

type testError string

func (e testError) Error() string { return string(e) }

// TestWriteV1Fixture rewrites testdata/v1store with the version-1 types
// through a real store. It runs only with BATPAK_WRITE_FIXTURES=1: the
// committed fixture is what older code wrote, and must not follow the
// code's changes.
func TestWriteV1Fixture(t *testing.T) {
	if os.Getenv("BATPAK_WRITE_FIXTURES") != "1" {
		t.Skip("set BATPAK_WRITE_FIXTURES=1 to rewrite testdata/v1store")
	}
	dir := filepath.Join("testdata", "v1store")
	require.NoError(t, os.RemoveAll(dir))
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[OpenedV1](r, kindOpened, "account.opened", 1))
	require.NoError(t, typed.Register[DepositedV1](r, kindDeposited, "account.deposited", 1))
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := typed.Append(r, fixtureCoord, OpenedV1{Owner: "ann"}, typed.Expect(messages.NoStream()))
	require.NoError(t, err)
	_, err = store.Append(ctx, a)
	require.NoError(t, err)
	for _, d := range v1Deposits {
		a, err := typed.Append(r, fixtureCoord, d)
		require.NoError(t, err)
		_, err = store.Append(ctx, a)
		require.NoError(t, err)
	}
	require.NoError(t, store.Close(ctx))
	require.NoError(t, os.Remove(filepath.Join(dir, "LOCK")))
}

// openFixture opens a copy of testdata/v1store (opening writes to the
// directory) and returns its events.
func openFixture(t *testing.T) []messages.Event {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "v1store"))))
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, e.Close()) }()
	evs, err := e.Stream(fixtureCoord, 1)
	require.NoError(t, err)
	require.Len(t, evs, 1+len(v1Deposits), "the committed fixture holds the opening and the deposits")
	return evs
}

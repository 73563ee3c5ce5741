package actors

import "github.com/batpak-go/batpak/messages"

// undecodable is the failure to answer a message that arrived over
// protoactor remote but could not be decoded (see messages.Undecodable).
func undecodable(m *messages.Undecodable) *messages.Error {
	if m.Failure != nil {
		return m.Failure
	}
	return &messages.Error{Code: messages.CodeUnknownMessage, Message: "batpak: undecodable message " + m.Type}
}

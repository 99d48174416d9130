// Package wire holds what the HTTP e-mail providers share: turning a
// response status or a transport failure into an [*email.ProviderError].
package wire

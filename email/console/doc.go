// Package console is an [email.Sender] that writes a summary of each
// message to a [slog.Logger] instead of sending it: the development
// default of the reference server. The summary carries the sender, the To
// addresses, counts of Cc and Bcc recipients, the subject, body sizes,
// attachment names and tags; bodies only when Config.IncludeText is set,
// and never attachment content or Bcc addresses.
package console

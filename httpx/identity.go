package httpx

import "net/http"

// UserIDFunc returns the ID of the user a request is made for: the
// signed-in caller. It is the one way blocks learn who is calling without
// importing an authentication package: handlers that scope data to a user
// take one as HandlerConfig.UserID, auth.UserID is one, and an existing
// service passes its own. Its error is written to the client as it is, so
// it should be an [*Error] (401 UNAUTHORIZED when nobody is signed in).
type UserIDFunc func(r *http.Request) (string, error)

package readme

import (
	"log/slog"
	"net/http"

	"github.com/omnistack/omnistack/httpx"
)

type createNote struct {
	Title string `json:"title"`
}

func (in createNote) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(httpx.LenBetween(in.Title, 1, 100), "title", "must be 1 to 100 characters")
	return errs.Err()
}

func httpxSnippet(srv *http.Server, logger *slog.Logger) {
	// given: srv *http.Server, logger *slog.Logger
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		var in createNote
		if err := httpx.DecodeJSON(w, r, &in); err != nil { // 415, 413, 400, or 422 with details.fields
			httpx.WriteError(w, r, err) // the envelope: {"error":{"code","message","details"}}
			return
		}
		httpx.WriteJSON(w, http.StatusCreated, in)
	})
	srv.Handler = httpx.Chain(mux, httpx.RequestID, httpx.SecurityHeaders(httpx.SecurityConfig{}),
		httpx.Logger(logger), httpx.Recover(logger), httpx.MuxErrors)
}

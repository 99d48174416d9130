// Package clerk reads users from Clerk's Backend API, so that users whose
// session tokens carry no e-mail still get one.
//
// Clerk's default session token has no email claim. [Client.Identity]
// fetches the user (GET /v1/users/{user_id}, authenticated with the
// instance's secret key) and returns the primary e-mail address, whether
// Clerk verified it, the name and the image URL. Pass it as
// [auth.UsersConfig.LookupIdentity]: [auth.Users] then calls it once, when
// a token without an e-mail creates its user (and retries a failed call on
// later requests, a bounded number of times), never on other requests.
//
//	clerkAPI, err := clerk.New(os.Getenv("CLERK_SECRET_KEY"), clerk.Config{})
//	users, err := auth.NewUsers(store, auth.UsersConfig{LookupIdentity: clerkAPI.Identity})
//
// To avoid the call altogether, customise the session token in the Clerk
// Dashboard (Sessions, Customize session token) with
//
//	{"email": "{{user.primary_email_address}}", "email_verified": "{{user.email_verified}}"}
//
// auth reads both claims (email_verified as JSON true or the string
// "true"), and a token with an e-mail is never looked up.
//
// # Why not Clerk's SDK
//
// One endpoint and five fields: a small net/http client with a settable
// base URL keeps clerk-sdk-go and its dependencies out of the build and
// lets tests point it at an httptest server speaking the API's wire
// format.
//
// # Errors
//
// A user Clerk does not know matches [auth.ErrNotFound]; other failures
// name the HTTP status and Clerk's error code. Messages never hold the
// secret key or a response body.
package clerk

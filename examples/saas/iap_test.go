package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/google"
	"github.com/omnistack/omnistack/iap/iaptest"
	"github.com/omnistack/omnistack/testenv"
)

const (
	iapBundle   = "com.example.app"
	iapProduct  = "com.example.pro.monthly"
	pushAud     = "https://api.example.com/api/v1/public/webhooks/google"
	pushAccount = "play-push@example-project.iam.gserviceaccount.com"
)

// appleNote is an App Store Server Notification V2 payload, its
// transaction naming user (appAccountToken) and expiring at expires.
func appleNote(t *testing.T, c *iaptest.AppleChain, uuid, typ, bundle, user string, expires time.Time) []byte {
	t.Helper()
	ms := func(at time.Time) int64 { return at.UnixMilli() }
	now := time.Now()
	tx := c.Sign(t, map[string]any{
		"originalTransactionId": "2000000999", "transactionId": "2000000" + uuid[:8], "bundleId": bundle,
		"productId": iapProduct, "purchaseDate": ms(expires.Add(-30 * 24 * time.Hour)),
		"originalPurchaseDate": ms(now.Add(-time.Hour)), "expiresDate": ms(expires), "quantity": 1,
		"type": apple.TypeAutoRenewable, "appAccountToken": user, "inAppOwnershipType": "PURCHASED",
		"signedDate": ms(now), "environment": apple.EnvironmentSandbox, "transactionReason": "PURCHASE",
	})
	renewal := c.Sign(t, map[string]any{
		"originalTransactionId": "2000000999", "productId": iapProduct, "autoRenewProductId": iapProduct,
		"autoRenewStatus": 1, "signedDate": ms(now), "environment": apple.EnvironmentSandbox, "renewalDate": ms(expires),
	})
	return c.Body(t, map[string]any{
		"notificationType": typ, "notificationUUID": uuid, "version": "2.0", "signedDate": ms(now),
		"data": map[string]any{"appAppleId": 1234, "bundleId": bundle, "bundleVersion": "1.0",
			"environment": apple.EnvironmentSandbox, "signedTransactionInfo": tx, "signedRenewalInfo": renewal},
	})
}

// iapEnv starts from webhookEnv and trusts chain's root for the App Store.
func iapEnv(t *testing.T, chain *iaptest.AppleChain, extra map[string]string) map[string]string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "apple-root.pem")
	require.NoError(t, os.WriteFile(root, chain.RootPEM(), 0o600))
	env := webhookEnv(map[string]string{"APPLE_BUNDLE_ID": iapBundle, "APPLE_ENVIRONMENT": "Sandbox",
		"APPLE_ROOT_CERT_FILE": root, "IAP_PRODUCT_PLANS": iapProduct + "=pro,pro_monthly=pro"})
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func myID(t *testing.T, s *testServer, user []string) string {
	t.Helper()
	resp := s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return decode[map[string]any](t, resp)["id"].(string)
}

// TestIAPAppleSubscriptionLifecycle: a verified SUBSCRIBED naming the
// user's id makes them pro (provider apple, period end = expiresDate), a
// second delivery changes nothing, EXPIRED returns them to free; forged
// and foreign notifications answer 400 and change nothing. On memory and
// PostgreSQL.
func TestIAPAppleSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"memory", "postgres"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			chain := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
			extra := map[string]string{}
			if mode == "postgres" {
				_, extra["DATABASE_URL"] = testenv.Schema(t)
				extra["JOBS_BACKEND"] = "memory"
			}
			s := startServer(t, iapEnv(t, chain, extra))
			user := bearer(authToken(t, jwt.MapClaims{"sub": "ios-user-" + mode}))
			id := myID(t, s, user)
			expires := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Millisecond)

			// Signed by a chain the server does not trust, and for another app.
			forged := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
			resp := s.do(t, "POST", "/api/v1/public/webhooks/apple",
				appleNote(t, forged, "aaaaaaaa-0000-4000-8000-000000000001", apple.TypeSubscribed, iapBundle, id, expires))
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			resp = s.do(t, "POST", "/api/v1/public/webhooks/apple",
				appleNote(t, chain, "aaaaaaaa-0000-4000-8000-000000000002", apple.TypeSubscribed, "com.other.app", id, expires))
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			resp = s.do(t, "POST", "/api/v1/public/webhooks/apple", `{"signedPayload":"not.a.jws"}`)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
			assert.Equal(t, "free", decode[map[string]any](t, resp)["plan"], "nothing unverified applies")

			subscribed := appleNote(t, chain, "11111111-1111-4111-8111-111111111111", apple.TypeSubscribed, iapBundle, id, expires)
			for range 2 {
				resp = s.do(t, "POST", "/api/v1/public/webhooks/apple", subscribed)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, map[string]any{"plan": "pro", "status": "active", "provider": "apple",
					"current_period_end": expires.UTC().Format(time.RFC3339Nano), "cancel_at_period_end": false},
					decode[map[string]any](t, resp))
			}
			resp = s.do(t, "GET", "/api/v1/app/users/me", nil, user...)
			assert.Equal(t, "pro", decode[map[string]any](t, resp)["plan"])

			resp = s.do(t, "POST", "/api/v1/public/webhooks/apple",
				appleNote(t, chain, "44444444-4444-4444-8444-444444444444", apple.TypeExpired, iapBundle, id, expires))
			require.Equal(t, http.StatusOK, resp.StatusCode)
			resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
			assert.Equal(t, "free", decode[map[string]any](t, resp)["plan"])
		})
	}
}

// playCredentials writes a service account key whose token endpoint is a
// local server handing out access tokens, and returns its path.
func playCredentials(t *testing.T) string {
	t.Helper()
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"ya29.e2e","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(tokens.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	data, err := json.Marshal(map[string]string{"type": "service_account", "project_id": "e2e",
		"private_key_id": "k1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "play-api@e2e.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokens.URL + "/token"})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "play.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// TestIAPGooglePlay: an authenticated push of a purchase, confirmed with
// the Play Developer API (which names the user), makes them pro; an
// unauthenticated push answers 401 and one for another app 400.
func TestIAPGooglePlay(t *testing.T) {
	t.Parallel()
	oidc := iaptest.NewGoogleOIDC(t)
	play := iaptest.NewPlayAPI(t)
	s := startServer(t, iapEnv(t, iaptest.NewAppleChain(t, iaptest.AppleChainOptions{}), map[string]string{
		"GOOGLE_PLAY_PACKAGE_NAME": iapBundle, "GOOGLE_PUBSUB_AUDIENCE": pushAud,
		"GOOGLE_PUBSUB_SERVICE_ACCOUNT": pushAccount, "GOOGLE_OIDC_JWKS_URL": oidc.JWKSURL(),
		"GOOGLE_PLAY_CREDENTIALS_FILE": playCredentials(t), "GOOGLE_PLAY_API_URL": play.URL(),
	}))
	user := bearer(authToken(t, jwt.MapClaims{"sub": "android-user"}))
	id := myID(t, s, user)
	now := time.Now()
	expiry := now.Add(30 * 24 * time.Hour).Truncate(time.Second).UTC()
	play.Set(t, iapBundle, "tok-e2e", google.SubscriptionPurchase{
		Kind: "androidpublisher#subscriptionPurchaseV2", SubscriptionState: google.StateActive, LatestOrderID: "GPA.1-2",
		StartTime:                  now.Add(-time.Minute),
		ExternalAccountIdentifiers: &google.ExternalAccountIdentifiers{ObfuscatedExternalAccountID: id},
		LineItems: []google.LineItem{{ProductID: "pro_monthly", ExpiryTime: expiry,
			AutoRenewingPlan: &google.AutoRenewingPlan{AutoRenewEnabled: true}}},
	})
	note := func(pkg string) map[string]any {
		return map[string]any{"version": "1.0", "packageName": pkg, "eventTimeMillis": strconv.FormatInt(now.UnixMilli(), 10),
			"subscriptionNotification": map[string]any{"version": "1.0", "notificationType": google.SubscriptionPurchased,
				"purchaseToken": "tok-e2e", "subscriptionId": "pro_monthly"}}
	}
	auth := []string{"Authorization", "Bearer " + oidc.Token(t, iaptest.PushClaims(pushAud, pushAccount, now))}

	resp := s.do(t, "POST", "/api/v1/public/webhooks/google", iaptest.PushBody(t, "m-0", note(iapBundle)))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no push token")
	wrongAud := []string{"Authorization", "Bearer " + oidc.Token(t, iaptest.PushClaims("https://elsewhere.example", pushAccount, now))}
	resp = s.do(t, "POST", "/api/v1/public/webhooks/google", iaptest.PushBody(t, "m-0", note(iapBundle)), wrongAud...)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "another audience")
	resp = s.do(t, "POST", "/api/v1/public/webhooks/google", iaptest.PushBody(t, "m-1", note("com.other.app")), auth...)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "another app")
	assert.Zero(t, play.Calls(), "nothing unverified reaches the Play API")

	resp = s.do(t, "POST", "/api/v1/public/webhooks/google", iaptest.PushBody(t, "m-2", note(iapBundle)), auth...)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = s.do(t, "GET", "/api/v1/app/billing/status", nil, user...)
	assert.Equal(t, map[string]any{"plan": "pro", "status": "active", "provider": "google",
		"current_period_end": expiry.Format(time.RFC3339), "cancel_at_period_end": false}, decode[map[string]any](t, resp))
}

// TestIAPNotConfigured: without their variables the store receivers
// answer 503 naming what to set, as the other receivers do, so the store
// keeps retrying until the server is configured.
func TestIAPNotConfigured(t *testing.T) {
	t.Parallel()
	s := startServer(t, authEnv(t, map[string]string{"JWT_SECRET": authTestSecret}))
	for p, variable := range map[string]string{"apple": "APPLE_BUNDLE_ID", "google": "GOOGLE_PLAY_PACKAGE_NAME"} {
		resp := s.do(t, "POST", "/api/v1/public/webhooks/"+p, `{}`)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, p)
		assert.Contains(t, decode[map[string]map[string]any](t, resp)["error"]["message"], variable)
	}
}

// TestIAPPlayCredentialsMustBeAServiceAccountKey: GOOGLE_PLAY_CREDENTIALS_FILE
// takes a service account key and nothing else. Another credential type
// (an external account names URLs the library would fetch from) and a
// missing file stop the server at start, naming the variable; a service
// account key starts it (run with a cancelled context returns as soon as
// it has started and stopped).
func TestIAPPlayCredentialsMustBeAServiceAccountKey(t *testing.T) {
	t.Parallel()
	external := filepath.Join(t.TempDir(), "external.json")
	require.NoError(t, os.WriteFile(external, []byte(`{"type":"external_account","audience":"//iam.googleapis.com/x",`+
		`"subject_token_type":"urn:ietf:params:oauth:token-type:jwt","token_url":"https://sts.example/v1/token",`+
		`"credential_source":{"url":"http://169.254.169.254/token"}}`), 0o600))
	for name, tt := range map[string]struct {
		file    string
		refused bool
	}{
		"service account key": {playCredentials(t), false},
		"external account":    {external, true},
		"missing file":        {filepath.Join(t.TempDir(), "none.json"), true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := iapEnv(t, iaptest.NewAppleChain(t, iaptest.AppleChainOptions{}), map[string]string{
				"GOOGLE_PLAY_PACKAGE_NAME": iapBundle, "GOOGLE_PUBSUB_AUDIENCE": pushAud,
				"GOOGLE_PUBSUB_SERVICE_ACCOUNT": pushAccount, "GOOGLE_OIDC_JWKS_URL": "http://127.0.0.1:1/jwks",
				"GOOGLE_PLAY_CREDENTIALS_FILE": tt.file,
			})
			environ := []string{"PORT=0", "HOST=127.0.0.1", "STORAGE_LOCAL_DIR=" + t.TempDir()}
			for k, v := range env {
				environ = append(environ, k+"="+v)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := run(ctx, environ, io.Discard, nil)
			if !tt.refused {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "GOOGLE_PLAY_CREDENTIALS_FILE")
		})
	}
}

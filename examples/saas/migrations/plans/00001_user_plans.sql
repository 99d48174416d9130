-- +goose Up
-- Plans that auth kept before it stopped owning them (auth_users.plan,
-- dropped by auth's own migrations after this one runs) become billing
-- overrides: an administrator gave them, no store of payment reported them.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'auth_users' AND column_name = 'plan') THEN
        INSERT INTO omnistack_billing_entitlements (user_id, override_plan, override_at)
        SELECT id::text, plan, now() FROM auth_users WHERE plan <> 'free'
        ON CONFLICT (user_id) DO NOTHING;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
SELECT 1;

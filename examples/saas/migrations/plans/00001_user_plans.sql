-- +goose Up
-- The reference server's plan per user, until the billing block's
-- entitlements replace it. Users without a row are on the free plan.
CREATE TABLE IF NOT EXISTS saas_user_plans (
    user_id    uuid PRIMARY KEY,
    plan       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Plans that auth kept before it stopped owning them (auth_users.plan,
-- dropped by auth's own migrations after this one runs).
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'auth_users' AND column_name = 'plan') THEN
        INSERT INTO saas_user_plans (user_id, plan)
        SELECT id, plan FROM auth_users WHERE plan <> 'free'
        ON CONFLICT (user_id) DO NOTHING;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE IF EXISTS saas_user_plans;

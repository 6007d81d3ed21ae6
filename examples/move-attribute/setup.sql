-- Seed 004: users.full_name (NOT NULL) moves to users_pii(user_id, full_name).
CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    full_name  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO users (email, full_name)
SELECT 'user' || g || '@example.com', 'User Number ' || g
FROM generate_series(1, 50000) AS g;
ANALYZE users;

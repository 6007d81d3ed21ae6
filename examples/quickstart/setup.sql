-- Starting point of the quick-start: an application table whose full_name column is to move
-- into a table of its own (personally identifiable data kept apart), as in seed 004.
CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    full_name  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO users (email, full_name)
SELECT 'user' || g || '@example.com', 'User Number ' || g
FROM generate_series(1, 1000) AS g;

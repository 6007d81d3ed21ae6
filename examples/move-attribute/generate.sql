-- :rows users, each with a full name.
INSERT INTO users (email, full_name)
SELECT 'user' || g || '@example.com', 'User Number ' || g
FROM generate_series(1, :rows) AS g;

-- :rows events; one in three is a push with its payload in data, the others comments.
INSERT INTO events (project_id, author_id, action, title, data, created_at)
SELECT g % 100, g % 977, CASE WHEN g % 3 = 0 THEN 'pushed' ELSE 'commented' END, 'event ' || g,
       CASE WHEN g % 3 = 0 THEN jsonb_build_object('ref', 'refs/heads/main', 'commit_count', g % 7 + 1,
                                                   'commit_to', md5(g::text)) END,
       now() - (:rows - g) * interval '1 second'
FROM generate_series(1, :rows) AS g;

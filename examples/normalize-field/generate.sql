-- :rows dogs; one in eleven has no breed, the others one of eight breeds.
INSERT INTO dogs (name, breed)
SELECT 'dog ' || g,
       CASE WHEN g % 11 = 0 THEN NULL
            ELSE (ARRAY['Beagle', 'Poodle', 'Boxer', 'Collie', 'Whippet', 'Akita', 'Basenji', 'Vizsla'])[1 + g % 8] END
FROM generate_series(1, :rows) AS g;

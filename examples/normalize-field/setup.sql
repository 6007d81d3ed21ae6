-- Seed 003: dogs.breed (free text) becomes a breeds table plus dogs.breed_id.
CREATE TABLE dogs (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name  text NOT NULL,
    breed text
);

INSERT INTO dogs (name, breed)
SELECT 'dog ' || g,
       CASE WHEN g % 11 = 0 THEN NULL
            ELSE (ARRAY['Beagle', 'Poodle', 'Boxer', 'Collie', 'Whippet'])[1 + g % 5] END
FROM generate_series(1, 20000) AS g;
ANALYZE dogs;

-- :rows mapping rules over :rows/50 proxies, which front :rows/250 backend APIs.
INSERT INTO backend_apis (name, private_endpoint)
SELECT 'backend ' || g, 'https://backend-' || g || '.internal:443'
FROM generate_series(1, GREATEST(1, :rows / 250)) AS g;
INSERT INTO proxies (service_name, backend_api_id)
SELECT 'service ' || g, 1 + g % GREATEST(1, :rows / 250)
FROM generate_series(1, GREATEST(1, :rows / 50)) AS g;
INSERT INTO proxy_rules (proxy_id, http_method, pattern, metric_id, position)
SELECT 1 + g % GREATEST(1, :rows / 50), (ARRAY['GET', 'POST', 'PUT', 'DELETE'])[1 + g % 4], '/v1/resource-' || g,
       1 + g % 7, g % 10
FROM generate_series(1, :rows) AS g;

-- Secrets written before stored_bytes existed: each one's total is the
-- ciphertext of the value versions it retains now.
UPDATE "secrets" SET "stored_bytes" = v."bytes"
FROM (SELECT "secret_id", sum(octet_length("ciphertext"))::int AS "bytes" FROM "secret_versions" GROUP BY "secret_id") v
WHERE v."secret_id" = "secrets"."secret_id";

-- Resources bound before ownership existed: each is owned by the principal
-- that made its oldest binding (binding ids are UUIDv7, so they break ties in
-- creation order). GLOBAL is the space of shared secrets and has no owner.
INSERT INTO "resources" ("resource_type", "resource_id", "owner", "created_at", "last_updated_by", "last_updated_at")
SELECT DISTINCT ON ("resource_type", "resource_id")
       "resource_type", "resource_id", "created_by", "created_at", "created_by", "created_at"
FROM "secret_bindings"
WHERE "resource_type" <> 'GLOBAL'
ORDER BY "resource_type", "resource_id", "created_at", "binding_id"
ON CONFLICT DO NOTHING;

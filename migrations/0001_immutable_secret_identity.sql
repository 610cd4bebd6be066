-- secret_id and secret_name are bound into every ciphertext's AAD, and is_shared
-- decides who may see a secret: none of them may change after creation
-- (renaming = create + delete). A stored value version is immutable except for
-- re-wrapping its DEK under another KEK version.
CREATE OR REPLACE FUNCTION secrets_refuse_identity_change() RETURNS trigger AS $$
BEGIN
  IF NEW.secret_id IS DISTINCT FROM OLD.secret_id
     OR NEW.secret_name IS DISTINCT FROM OLD.secret_name
     OR NEW.is_shared IS DISTINCT FROM OLD.is_shared THEN
    RAISE EXCEPTION 'secret_id, secret_name and is_shared of a secret cannot be changed'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER secrets_identity_immutable
  BEFORE UPDATE ON secrets
  FOR EACH ROW EXECUTE FUNCTION secrets_refuse_identity_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION secret_versions_refuse_change() RETURNS trigger AS $$
BEGIN
  IF NEW.secret_id IS DISTINCT FROM OLD.secret_id
     OR NEW.version IS DISTINCT FROM OLD.version
     OR NEW.nonce IS DISTINCT FROM OLD.nonce
     OR NEW.ciphertext IS DISTINCT FROM OLD.ciphertext THEN
    RAISE EXCEPTION 'a stored secret version is immutable; only its DEK may be re-wrapped'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER secret_versions_immutable
  BEFORE UPDATE ON secret_versions
  FOR EACH ROW EXECUTE FUNCTION secret_versions_refuse_change();

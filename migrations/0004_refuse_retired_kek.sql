-- A retired KEK version can no longer decrypt (Vault's min_decryption_version):
-- refuse any write that would wrap a value under one. The share lock on the
-- kek_versions row serializes this check with `secretsctl kek retire`.
CREATE OR REPLACE FUNCTION secret_versions_refuse_retired_kek() RETURNS trigger AS $$
DECLARE
  kek_state text;
BEGIN
  SELECT state INTO kek_state FROM kek_versions WHERE version = NEW.kek_version FOR SHARE;
  IF kek_state IS NULL OR kek_state = 'retired' THEN
    RAISE EXCEPTION 'KEK version % is retired or unknown', NEW.kek_version
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER secret_versions_live_kek
  BEFORE INSERT OR UPDATE OF kek_version ON secret_versions
  FOR EACH ROW EXECUTE FUNCTION secret_versions_refuse_retired_kek();

-- TRUNCATE skips row triggers: refuse it with a statement trigger, so the audit log can only
-- grow (UPDATE and DELETE are refused by 0001's row trigger).
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

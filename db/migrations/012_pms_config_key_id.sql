-- 012_pms_config_key_id: which data key of the key ring encrypted a hotel's
-- stored PMS API key (common/include/common/pms_keys.h), so the data key can
-- be rotated: rows are read with the key their id names and re-encrypted
-- under the active one. NULL for keys stored before ids (read with every key
-- of the ring in turn).
ALTER TABLE pms_config
  ADD COLUMN api_key_key_id VARCHAR(32) NULL AFTER api_key_enc;

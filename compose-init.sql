-- Prefect's own database, next to rulewatch's (compose.yaml).
CREATE DATABASE prefect;

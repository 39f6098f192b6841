-- Databases for the workbench metadata and for Temporal (its auto-setup image creates its own schema).
CREATE DATABASE workbench;

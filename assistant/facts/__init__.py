"""Facts and metrics: the figures of every table as typed line items (read at ingest, stored with their
document), and the credit metrics computed from them in code, each showing its formula and citing its inputs."""

"""Everything a person reads or another tool imports: tables, JSON, SARIF; later HTML, PDF, XLSX, SVG."""

"""Views for classes, the delivery log and printable plans. Thin: reads go through
selectors, writes through services."""

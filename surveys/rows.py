"""Model instances from hand-written SQL, for the few reads every pupil request makes.

The ORM spends about as long compiling a ``select_related`` query as the database spends
answering it; on the pupil pages that compile was the largest single cost (see
bench/RESULTS.md). These reads are fixed, so their SQL is written once here. Values go
through the same converters the ORM applies (SQLite returns datetimes as text, booleans
as integers and UUIDs as hex), so the instances are the ORM's own on every backend.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Model


class Columns:
    """The concrete columns of one model under a table alias, and the instance built
    from its slice of a row."""

    def __init__(self, model: type[Model], alias: str):
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.expressions = [field.get_col(alias) for field in self.fields]
        self._converters: dict[str, list] = {}

    @property
    def table(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    def select(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def _converters_for(self, vendor: str) -> list:
        converters = self._converters.get(vendor)
        if converters is None:
            converters = []
            for field, expression in zip(self.fields, self.expressions, strict=True):
                converters.append(connection.ops.get_db_converters(expression) + field.get_db_converters(connection))
            self._converters[vendor] = converters
        return converters

    def build(self, row, start: int) -> Model:
        values = list(row[start : start + len(self.fields)])
        for index, converters in enumerate(self._converters_for(connection.vendor)):
            if converters:
                value = values[index]
                for convert in converters:
                    value = convert(value, self.expressions[index], connection)
                values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)

    def __len__(self) -> int:
        return len(self.fields)


@functools.cache
def columns(model: type[Model], alias: str) -> Columns:
    """The shared ``Columns`` of a model under an alias (its converters are worked out once)."""
    return Columns(model, alias)


def fetch_one(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()

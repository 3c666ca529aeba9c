"""Nebula's own implementations of the bundled genomic-interval tools.

Each operation family lives in its own module and is reached through the `nebula-ops`
console command (`nebula.ops.cli`). Coordinates are 0-based and half-open inside the
package; GFF input (1-based, closed) is converted on reading and converted back on writing.
"""

"""Operations of the table tools: sort, join, compare, filter, compute, group, count,
summary statistics and cell-wise arithmetic. Each module streams its inputs; those that
need an order sort with `nebula.ops.external_sort`."""

"""Operations of the sequence and feature tools: FASTA lengths, FASTA/tabular conversion,
FASTA filtering by length, GFF feature counts and single intervals.

Every operation reads its input in bounded pieces, so one multi-gigabase sequence costs
no more memory than many short ones.
"""

"""Operations of the text tools: Galaxy's Cut1, Paste1, Grep1, Show beginning1 and the rest.

Every operation reads its inputs line by line (or in fixed-size blocks), so memory stays
flat on large datasets. Lines end at '\\n'; one '\\r' before it is dropped, so CRLF files
read like LF files, and a last line without a line end is an ordinary line. Outputs are
written with '\\n' line ends, except by `cat` and the digests, which work on bytes.
"""

# Script mode helper for embed_text: writes the file as a hex byte array (safe for any content).
file(READ ${INPUT} _hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\nextern const unsigned char ${SYMBOL}[];\nconst unsigned char ${SYMBOL}[] = {${_bytes} 0x00};\n")

export { DecoderPool, sharedDecoderPool, type DecoderPoolOptions } from './decoderPool.js';
export { openParquetFile, readParquet, ParquetHandle, type ParquetFileInfo, type RowGroupInfo, type ColumnChunkInfo, type ReadOptions } from './parquetFile.js';
export { writeParquet, COMPRESSIONS, DEFAULT_ROW_GROUP_SIZE, isCompression, type Compression, type WriteOptions, type WriteResult } from './writeParquet.js';
export { getParquetMetadata, getParquetSchema, type ParquetMetadata, type ParquetSchema, type ParquetColumnSchema } from './parquetMetadata.js';

/** Splits a file's content list into restore pieces of bounded size. */
import type { Id } from '../../core/ids.ts';
import type { ContentRef, TreeNode } from '../../repo/tree/tree.ts';
import type { RestorePiece } from '../worker/protocol.ts';

const PIECE_BYTES = 16 << 20;

export function splitPieces(path: string, node: TreeNode, rawLength: (id: Id) => number): RestorePiece[] {
  const content = node.content ?? [];
  const meta = { mode: node.mode, uid: node.uid, gid: node.gid, mtime: node.mtime };
  // Most files are one blob (or none): one piece, no lengths to look up.
  if (content.length <= 1) return [{ path, fileOffset: 0, refs: content, create: true, size: node.size, meta }];
  const pieces: RestorePiece[] = [];
  let refs: ContentRef[] = [];
  let pieceStart = 0;
  let pieceBytes = 0;
  let offset = 0;
  for (const ref of content) {
    const len = typeof ref === 'number' ? ref : rawLength(ref);
    if (pieceBytes > 0 && pieceBytes + len > PIECE_BYTES && typeof ref === 'string') {
      pieces.push({ path, fileOffset: pieceStart, refs, create: pieces.length === 0, size: node.size });
      refs = [];
      pieceStart = offset;
      pieceBytes = 0;
    }
    refs.push(ref);
    if (typeof ref === 'string') pieceBytes += len;
    offset += len;
  }
  pieces.push({ path, fileOffset: pieceStart, refs, create: pieces.length === 0, size: node.size, meta });
  return pieces;
}

/** What the result panel persists across hide/show (`vscode.setState`): small, the document itself is replayed by the host. */
import type { ResultTab } from '../../src/protocol/webview';

export type MistakeList = 'fp' | 'fn' | 'suspects';

/** The Mistakes view's selection. */
export interface MistakesState {
  list: MistakeList;
  image?: string;
  layer?: string;
  group?: number;
}

export interface ResultUi {
  /** The result's key: the state applies only to the same result. */
  key: string;
  tab: ResultTab;
  /** User group counts per layer. */
  counts: Record<string, number>;
  /** Selected group id (`layer/G<index>`). */
  selected?: string;
  mistakes: MistakesState;
}

export function freshUi(key: string, tab: ResultTab = 'circuit'): ResultUi {
  return { key, tab, counts: {}, mistakes: { list: 'fp' } };
}

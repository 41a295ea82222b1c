import { referenceTests } from './reference';

referenceTests('shortcut-mobilenet');

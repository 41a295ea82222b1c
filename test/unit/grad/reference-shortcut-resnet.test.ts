import { referenceTests } from './reference';

referenceTests('shortcut-resnet');

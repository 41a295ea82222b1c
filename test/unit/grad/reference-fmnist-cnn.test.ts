import { referenceTests } from './reference';

referenceTests('fmnist-cnn');

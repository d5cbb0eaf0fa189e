import { findStop, heldTailLength } from './stop-sequences';

describe(findStop.name, () => {
  it.each<[string, string[], number]>([
    ['hello world', ['wor'], 6],
    ['hello world', ['xyz'], -1],
    ['hello world', ['world', 'lo'], 3],
    ['hello', [''], -1],
    ['', ['a'], -1],
  ])('%j with %j → %p', (text, stops, expected) => expect(findStop(text, stops)).toBe(expected));
});

describe(heldTailLength.name, () => {
  it.each<[string, string[], number]>([
    ['hello wo', ['world'], 2],
    ['hello w', ['world'], 1],
    ['hello', ['world'], 0],
    ['ab', ['abc', 'bx'], 2],
    ['xab', ['b!', 'ab?'], 2],
    ['world', ['world'], 0], // a whole match is findStop's, not held
    ['anything', [], 0],
  ])('%j with %j → %p', (text, stops, expected) => expect(heldTailLength(text, stops)).toBe(expected));
});

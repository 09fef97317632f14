/** `word`: proto.WordSvc. GetWord answers a word picked at random, for a front end given no text. */
import { randomInt } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { type App, listenGrpc, text } from './listen.js';
import { gob, type WordRequest, type WordResponse } from './proto.js';

export const WORDS = ['gob', 'banana', 'mesh', 'dtab', 'canary', 'namer', 'router', 'fallback', 'union'] as const;

const pick = () => WORDS[randomInt(WORDS.length)]!;

export function startWord(port: number, host = '127.0.0.1'): Promise<App> {
  const GetWord = (_call: grpc.ServerUnaryCall<WordRequest, WordResponse>, done: grpc.sendUnaryData<WordResponse>) =>
    done(null, { word: pick() });
  return listenGrpc('word', port, host, [[gob().WordSvc.service, { GetWord }]], (req, res) => {
    req.resume();
    text(res, 200, `${pick()}\n`, { 'x-version': 'word' });
  });
}

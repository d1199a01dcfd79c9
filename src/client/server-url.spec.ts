import { isPlainHttpToAnotherHost, serverUrlProblem } from './http-client';

describe('server addresses', () => {
  it.each(['http://127.0.0.1:3000', 'http://127.8.9.10', 'http://localhost:3000', 'http://parley.localhost', 'http://[::1]:3000', 'https://parley.example', 'https://10.0.0.5:8443'])(
    'given %s, then requests to it do not cross a network in clear',
    (server) => expect(isPlainHttpToAnotherHost(server)).toBe(false),
  );

  it.each(['http://parley.example', 'http://10.0.0.5:3000', 'http://[fe80::1]:3000', 'http://127.0.0.1.example', 'http://localhost.example', 'http://0.0.0.0:3000'])(
    'given %s, then requests to it cross a network in clear (or may)',
    (server) => expect(isPlainHttpToAnotherHost(server)).toBe(true),
  );

  it('given an address with a query, fragment or credentials, then it is refused, saying which', () => {
    expect(serverUrlProblem('http://a.example/?x=1')).toBe('must hold no query, fragment or credentials');
    expect(serverUrlProblem('ftp://a.example')).toBe('must be an http:// or https:// URL');
    expect(serverUrlProblem('https://a.example/base')).toBeNull();
  });
});

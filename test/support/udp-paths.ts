// The two UDP paths the server can serve with (dnsserver/transport/udp.ts and udp-native.ts), for suites that run
// the same tests against both. The native path is skipped only where the addon is not built (no C compiler at
// npm ci) and only outside CI: CI builds it, so there a missing addon fails the native suites instead of hiding.
import { startUdpServer, type UdpIo, type UdpServer, type UdpServerOptions } from '../../dnsserver/transport/udp.ts';
import { loadNativeUdp, startNativeUdpServer } from '../../dnsserver/transport/udp-native.ts';

const native = loadNativeUdp();
/** Why the native path cannot run here, or undefined when it can. */
export const nativeUnavailable: string | undefined = 'error' in native ? native.error : undefined;

export const UDP_IOS: readonly UdpIo[] = ['dgram', 'native'];

/** Whether the native path's suites are skipped here: the addon is not built, and this is not CI. */
export const skipNative: boolean = nativeUnavailable !== undefined && !process.env.CI;

/** Whether a suite for `io` must be skipped here. */
export function skipUdpIo(io: UdpIo): boolean {
  return io === 'native' && skipNative;
}

export function udpServerStarter(io: UdpIo): (options: UdpServerOptions) => Promise<UdpServer> {
  return io === 'native' ? startNativeUdpServer : startUdpServer;
}

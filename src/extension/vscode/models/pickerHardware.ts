import { headroomCacheDir } from '../../common/cacheDir';
import { listBuildDevices, type BuildDevice } from '../../llama/listDevices';
import { locateServer } from '../../llama/locateServer';
import type { HardwareFacts } from '../../memory/hardware';
import { verdictHardware } from '../../models/planVerdict';
import { readConfig } from '../config';
import type { ModelUiDeps } from './modelUiDeps';

/** The machine the model picker's verdicts judge: this sample with the GPUs the build can use, as the planner plans. */
export async function pickerHardware(deps: ModelUiDeps): Promise<HardwareFacts> {
  const [facts, devices] = await Promise.all([deps.hardware.sample(), deps.buildDevices()]);
  return verdictHardware(facts, devices);
}

/** The located llama-server's device list, without building one: undefined when there is none (or its setting is wrong). */
export async function locatedBuildDevices(): Promise<readonly BuildDevice[] | undefined> {
  const server = await locateServer({ configuredPath: readConfig().llamaServerPath || undefined, cacheRoot: headroomCacheDir() }).catch(() => undefined);
  return server ? listBuildDevices(server.path) : undefined;
}

import { DefaultLogger, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/**
 * The workflow bundle, with the sandbox's stack-trace depth set to `stackTraceLimit`.
 *
 * Why: the SDK installs a promise hook that captures `new Error().stack` for every promise workflow code creates,
 * and maps every frame through the bundle's source map (so the UI can show where a workflow is blocked). A CPU
 * profile of our worker under a batch shows this as the largest single cost per workflow activation. The sandbox
 * freezes its built-ins once the bundle has run, so the only place to set `Error.stackTraceLimit` inside it is the
 * bundle's own first statement. It goes on the first line, before the code, so the source map's lines stay valid.
 */
export async function workflowBundle(stackTraceLimit: number): Promise<WorkflowBundleWithSourceMap> {
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
  return { ...bundle, code: `Error.stackTraceLimit = ${Math.trunc(stackTraceLimit)};${bundle.code}` };
}

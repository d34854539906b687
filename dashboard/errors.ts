/** The dashboard could not be built: a source file does not compile or an asset is missing. */
export class DashboardBuildError extends Error {
  override name = 'DashboardBuildError';
}

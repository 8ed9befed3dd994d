/** "9.5 GiB": memory in the sentences the planner and the memory watch write. */
export const formatGiB = (mib: number): string => `${(mib / 1024).toFixed(1)} GiB`;

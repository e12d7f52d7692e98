mod git;
mod recorded;
